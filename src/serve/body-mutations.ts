/**
 * fast-check arbitraries of rank bodies for the property tests: valid bodies of every shape, the
 * same bodies with one mutation (a field deleted, replaced, added; a number swapped for an
 * extreme literal; the text cut short), and arbitrary text.
 */
import fc from "fast-check";
import { Rng } from "../core/rng.js";
import { candidatesBody, itemIdsFor, randomScores, type ShapeName } from "./test-fixtures.js";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const RAW_MARKER = "__raw_number__";
const RAW_NUMBERS = [
  "1e999",
  "-1e999",
  "-0.5",
  "-1",
  "1e-400",
  "-0",
  "12345678901234567890",
  "0.0099",
] as const;

export interface Payload {
  /** The request body text. */
  readonly text: string;
  readonly contentType: string;
}

const validBody = fc
  .record({
    shape: fc.constantFrom<ShapeName>("objects", "tasks", "rows"),
    count: fc.integer({ min: 1, max: 6 }),
    seed: fc.integer({ min: 0, max: 1_000_000 }),
    k: fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
    requestId: fc.option(fc.uuid(), { nil: undefined }),
  })
  .map(({ shape, count, seed, k, requestId }) => {
    const body = {
      userId: `user-${seed % 97}`,
      ...(k === undefined ? {} : { k }),
      ...(requestId === undefined ? {} : { requestId }),
      ...candidatesBody(shape, itemIdsFor(count), randomScores(new Rng(seed), count)),
    };
    return JSON.parse(JSON.stringify(body)) as Json;
  });

/** Every [container, key] below the root, depth first. */
function slots(node: Json, out: [Json[] | { [key: string]: Json }, string | number][] = []) {
  if (Array.isArray(node)) {
    node.forEach((child, i) => {
      out.push([node, i]);
      slots(child, out);
    });
  } else if (node !== null && typeof node === "object") {
    for (const key of Object.keys(node)) {
      out.push([node, key]);
      slots(node[key], out);
    }
  }
  return out;
}

const mutation = fc.record({
  kind: fc.constantFrom("none", "delete", "replace", "add", "number", "truncate"),
  where: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
  value: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
  key: fc.constantFrom("extra", "click", "love", "itemId", "scores", "__proto__", "constructor", ""),
  raw: fc.constantFrom(...RAW_NUMBERS),
  cut: fc.nat(),
});

/** A valid body with at most one mutation, as text. */
export const mutatedBody: fc.Arbitrary<string> = fc.tuple(validBody, mutation).map(([body, m]) => {
  const all = slots(body);
  const [container, key] = all[Math.floor(m.where * all.length)];
  switch (m.kind) {
    case "delete":
      if (Array.isArray(container)) container.splice(key as number, 1);
      else delete container[key as string];
      return JSON.stringify(body);
    case "replace":
      (container as Record<string | number, Json>)[key] = m.value;
      return JSON.stringify(body);
    case "add": {
      const target = container[key as never] as Json;
      const host =
        target !== null && typeof target === "object" && !Array.isArray(target)
          ? target
          : (body as { [k: string]: Json });
      host[m.key] = m.value;
      return JSON.stringify(body);
    }
    case "number":
      (container as Record<string | number, Json>)[key] = RAW_MARKER;
      return JSON.stringify(body).replace(`"${RAW_MARKER}"`, m.raw);
    case "truncate": {
      const text = JSON.stringify(body);
      return text.slice(0, m.cut % text.length);
    }
    default:
      return JSON.stringify(body);
  }
});

/** Mutated bodies, arbitrary JSON and arbitrary text, mostly sent as JSON. */
export const anyPayload: fc.Arbitrary<Payload> = fc.record({
  text: fc.oneof(
    { weight: 8, arbitrary: mutatedBody },
    { weight: 1, arbitrary: fc.json({ maxDepth: 3 }) },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 200 }) },
  ),
  contentType: fc.constantFrom(
    "application/json",
    "application/json",
    "application/json",
    "application/json; charset=utf-8",
    "text/plain",
    "application/x-www-form-urlencoded",
  ),
});
