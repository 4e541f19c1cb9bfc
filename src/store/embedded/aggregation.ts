import { Aggregator } from 'mingo/aggregator';
import { ProcessingMode } from 'mingo/core';
import { Lazy, type Iterator as LazyIterator } from 'mingo/lazy';
import * as pipelineOperators from 'mingo/operators/pipeline';
import type { AnyObject, Options } from 'mingo/types';
import { copyValue, isPlainObject } from './values.js';

export function stageName(stage: Record<string, unknown>): string {
  return Object.keys(stage)[0] ?? '';
}

/**
 * Whether mingo runs a stage without modifying the documents it receives
 * (it builds new objects or passes them on). Unknown stages count as
 * modifying, so they only ever see copies.
 */
export function leavesInputIntact(stage: Record<string, unknown>): boolean {
  const name = stageName(stage);
  const spec = stage[name];
  switch (name) {
    case '$match':
    case '$sort':
    case '$limit':
    case '$skip':
    case '$count':
    case '$group':
    case '$bucket':
    case '$bucketAuto':
    case '$sortByCount':
    case '$sample':
    case '$replaceRoot':
    case '$replaceWith':
    case '$lookup':
    case '$unionWith':
    // Ours (below): copies for the sub-pipelines that need them.
    case '$facet':
      return true;
    // A shallow copy per document, then top-level fields set on it; a dotted field would be set inside a shared object.
    case '$addFields':
    case '$set':
      return isPlainObject(spec) && Object.keys(spec).every((field) => !field.includes('.'));
    case '$project':
      return isPlainObject(spec) && !projectionEditsNested(spec);
    case '$unset':
      return (Array.isArray(spec) ? spec : [spec]).every((field) => typeof field === 'string' && !field.includes('.'));
    // includeArrayIndex and preserveNullAndEmptyArrays write into the incoming document.
    case '$unwind':
      return typeof spec === 'string' || (isPlainObject(spec) && !spec.includeArrayIndex && !spec.preserveNullAndEmptyArrays);
    default:
      return false;
  }
}

/** An exclusion of a nested field (`'a.b': 0` or `{a: {b: 0}}`) removes it from an object shared with the input. */
export function projectionEditsNested(projection: Record<string, unknown>, nested = false): boolean {
  return Object.entries(projection).some(([field, value]) => {
    if (value === 0 || value === false) return nested || field.includes('.');
    if (isPlainObject(value) && !Object.keys(value).some((key) => key.startsWith('$'))) return projectionEditsNested(value, true);
    return false;
  });
}

/** Whether a $lookup / $unionWith / $graphLookup sub-pipeline would modify the other collection's documents. */
export function hasModifyingNestedPipeline(pipeline: unknown[]): boolean {
  return pipeline.some((stage) => {
    if (!isPlainObject(stage)) return false;
    const name = stageName(stage);
    const spec = stage[name];
    if (!isPlainObject(spec)) return false;
    if (name === '$graphLookup') return true;
    if (name === '$facet') return Object.values(spec).some((sub) => Array.isArray(sub) && hasModifyingNestedPipeline(sub));
    if ((name === '$lookup' || name === '$unionWith') && Array.isArray(spec.pipeline)) {
      const sub = spec.pipeline as Record<string, unknown>[];
      return sub.some((s) => !leavesInputIntact(s)) || hasModifyingNestedPipeline(sub);
    }
    return false;
  });
}

export function copiedResolver(options: Partial<Options>) {
  const resolve = options.collectionResolver;
  return (name: string) => (resolve ? resolve(name).map(copyValue) : []);
}

/**
 * mingo's $facet deep-copies every input document for every facet, which on
 * a million messages costs seconds. Ours copies only for the facets whose
 * stages would modify their input.
 */
export function $facet(collection: LazyIterator, expr: unknown, options: Options): LazyIterator {
  const facets = expr as Record<string, AnyObject[]>;
  // Inside an operator mingo hands over its ComputeOptions; the plain options sit on `.options`.
  const plain = ((options as unknown as { options?: Options }).options ?? options) as Options;
  return collection.transform((items) => {
    const result: AnyObject = {};
    for (const [name, stages] of Object.entries(facets)) {
      const intact = stages.every(leavesInputIntact);
      const mode = plain.processingMode ?? ProcessingMode.CLONE_OFF;
      const processingMode = intact ? mode : mode | ProcessingMode.CLONE_INPUT;
      result[name] = new Aggregator(stages, { ...plain, processingMode }).run(items);
    }
    return Lazy([result]);
  });
}

/**
 * $bucket as MongoDB defines it: a $group on a $switch over the boundaries
 * (lower bound inclusive), then a $sort on _id; empty buckets are not output.
 * mingo's own puts a value equal to a boundary in the bucket below it.
 */
export function $bucket(collection: LazyIterator, expr: unknown, options: Options): LazyIterator {
  const spec = expr as { groupBy: unknown; boundaries: unknown[]; default?: unknown; output?: AnyObject };
  if (!Array.isArray(spec.boundaries) || spec.boundaries.length < 2) throw new Error('$bucket: boundaries must list at least two values');
  const bounds = spec.boundaries;
  const branches = bounds.slice(0, -1).map((lower, i) => ({
    case: { $and: [{ $gte: [spec.groupBy, lower] }, { $lt: [spec.groupBy, bounds[i + 1]] }] },
    then: lower,
  }));
  const bucketOf = { $switch: { branches, ...('default' in spec ? { default: spec.default } : {}) } };
  const grouped = pipelineOperators.$group(collection, { _id: bucketOf, ...(spec.output ?? { count: { $sum: 1 } }) }, options);
  return pipelineOperators.$sort(grouped, { _id: 1 }, options);
}
