import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../../core/rng.js";
import { referenceKernels } from "../../nn/reference-kernels.js";
import { esConfig } from "./config.js";
import { EvolutionStrategy } from "./strategy.js";

const P = 30;
/**
 * The quadratic: f(θ) = 1 − Σ_p d_p (θ_p − θ*_p)² / Σ_p d_p θ*_p², curvatures d_p from 1 to 10,
 * θ* uniform in [−1, 1]^30. Its maximum is f(θ*) = 1; the start θ₀ = 0 scores 0.
 */
const starRng = new Rng(7);
const star = Float64Array.from({ length: P }, () => starRng.uniformIn(-1, 1));
const curvature = Float64Array.from({ length: P }, (_, p) => 1 + (9 * p) / (P - 1));
const scale = star.reduce((a, v, p) => a + curvature[p] * v * v, 0);
function quadratic(theta: ArrayLike<number>): number {
  let s = 0;
  for (let p = 0; p < P; p++) s += curvature[p] * (theta[p] - star[p]) ** 2;
  return 1 - s / scale;
}

function strategy(seed: number) {
  const defaults = esConfig();
  const target = { params: new Float64Array(P), grads: new Float64Array(P), kernels: referenceKernels };
  const es = new EvolutionStrategy({
    target,
    pairs: defaults.pairs,
    sigma: defaults.sigma,
    lr: defaults.lr,
    l2: 0,
    seed,
  });
  return { es, target };
}

/** Runs `generations` of ES on the quadratic with N(0, noiseStd²) evaluation noise. */
function run(es: EvolutionStrategy, generations: number, noise: Rng, noiseStd = 0.01): void {
  const candidate = new Float64Array(P);
  for (let g = 0; g < generations; g++) {
    es.ask();
    const fitness: number[] = [];
    for (let j = 0; j < es.populationSize; j++) {
      es.candidate(j, candidate);
      fitness.push(quadratic(candidate) + noiseStd * noise.normal());
    }
    es.tell(fitness);
  }
}

test("ES with the default σ, lr and population reaches within 5% of the quadratic's maximum in 200 generations (3200 evaluations)", () => {
  const { es, target } = strategy(1);
  assert.equal(quadratic(target.params), 0);
  run(es, 200, new Rng(3));
  const value = quadratic(target.params);
  assert.ok(value >= 0.95, `f(θ) = ${value.toFixed(4)}, want >= 0.95 (max 1)`);
});

test("candidates are θ ± σε (antithetic) and the RNG and Adam state resume exactly", () => {
  const { es, target } = strategy(2);
  es.ask();
  const plus = new Float64Array(P);
  const minus = new Float64Array(P);
  es.candidate(0, plus);
  es.candidate(1, minus);
  for (let p = 0; p < P; p++) assert.ok(Math.abs((plus[p] + minus[p]) / 2 - target.params[p]) < 1e-15);
  assert.throws(() => es.candidate(es.populationSize, plus), { code: "INVALID_ARGUMENT" });
  es.tell(Array.from({ length: es.populationSize }, (_, j) => j));

  // 3 generations straight vs 2, then a fresh strategy restored from θ, Adam and the RNG, then 1.
  const straight = strategy(5);
  run(straight.es, 3, new Rng(1), 0);
  const first = strategy(5);
  run(first.es, 2, new Rng(1), 0);
  const resumed = strategy(99);
  resumed.target.params.set(first.target.params);
  resumed.es.adam.importState(first.es.adam.exportState());
  resumed.es.restoreRng(first.es.rngState());
  run(resumed.es, 1, new Rng(1), 0);
  assert.deepEqual(Array.from(resumed.target.params), Array.from(straight.target.params));
});
