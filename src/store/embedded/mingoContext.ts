// The operators mingo runs for every embedded store: its own, with ours in
// place of the ones that are slow or differ from MongoDB.
import { Context } from 'mingo/core';
import * as accumulatorOperators from 'mingo/operators/accumulator';
import * as expressionOperators from 'mingo/operators/expression';
import * as pipelineOperators from 'mingo/operators/pipeline';
import * as projectionOperators from 'mingo/operators/projection';
import * as queryOperators from 'mingo/operators/query';
import * as windowOperators from 'mingo/operators/window';
import { $bucket, $facet } from './aggregation.js';
import { withFastTimeZones, type ExpressionOperator } from './timeZones.js';

export function createContext(): Context {
  return Context.init({
    accumulator: { ...accumulatorOperators },
    expression: withFastTimeZones({ ...expressionOperators } as unknown as Record<string, ExpressionOperator>) as unknown as typeof expressionOperators,
    pipeline: { ...pipelineOperators, $facet, $bucket },
    projection: { ...projectionOperators },
    query: { ...queryOperators },
    window: { ...windowOperators },
  });
}
