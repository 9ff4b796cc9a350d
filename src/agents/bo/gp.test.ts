import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../../core/rng.js";
import { gpUcbBeta, ucb } from "./acquisition.js";
import { fitGp, gpPosterior, gpPosteriorWithGradient, logMarginalLikelihood } from "./gp.js";
import { type GpHyperparameters, hyperToLogParams, logParamsToHyper, maternKernel } from "./kernel.js";
import { cholesky, choleskyInverse, choleskySolve } from "./linalg.js";

function close(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected)),
    `${what}: ${actual} vs ${expected}`,
  );
}

/** The Matérn 5/2 covariance written out by hand, for the closed forms below. */
function matern(a: number, b: number, ell: number, sf2: number): number {
  const s = (Math.sqrt(5) * Math.abs(a - b)) / ell;
  return sf2 * (1 + s + (s * s) / 3) * Math.exp(-s);
}

const hyper1d: GpHyperparameters = {
  lengthScales: Float64Array.of(0.7),
  signalVariance: 1.3,
  noiseVariance: 0.1,
};

test("maternKernel: k(0) = σ_f², and the textbook value at r = 1", () => {
  assert.equal(maternKernel(0, 2), 2);
  const s = Math.sqrt(5);
  close(maternKernel(1, 1), (1 + s + 5 / 3) * Math.exp(-s), 1e-15, "k(1)");
});

test("gpPosterior equals the closed form on a 1-D example with two observations (2x2 algebra)", () => {
  const x = Float64Array.of(-0.4, 0.5);
  const y = Float64Array.of(0.8, -0.3);
  const { signalVariance: sf2, noiseVariance: sn2 } = hyper1d;
  const ell = 0.7;
  // K_y = [[a, b], [b, a]], K_y⁻¹ = [[a, −b], [−b, a]] / (a² − b²)
  const a = sf2 + sn2;
  const b = matern(x[0], x[1], ell, sf2);
  const det = a * a - b * b;
  const inv = [
    [a / det, -b / det],
    [-b / det, a / det],
  ];
  const model = fitGp(x, y, 2, 1, hyper1d);
  const queries = Float64Array.of(-1, -0.4, 0.05, 0.9);
  const { mean, variance } = gpPosterior(model, queries, queries.length);
  queries.forEach((q, i) => {
    const k = [matern(q, x[0], ell, sf2), matern(q, x[1], ell, sf2)];
    const w = [inv[0][0] * y[0] + inv[0][1] * y[1], inv[1][0] * y[0] + inv[1][1] * y[1]];
    const expectedMean = k[0] * w[0] + k[1] * w[1];
    const quad = k[0] * (inv[0][0] * k[0] + inv[0][1] * k[1]) + k[1] * (inv[1][0] * k[0] + inv[1][1] * k[1]);
    close(mean[i], expectedMean, 1e-12, `mean at ${q}`);
    close(variance[i], sf2 - quad, 1e-12, `variance at ${q}`);
  });
});

test("logMarginalLikelihood equals the closed form with three observations (3x3 algebra)", () => {
  const x = Float64Array.of(-0.8, 0.1, 0.6);
  const y = Float64Array.of(0.2, 1.1, -0.5);
  const { signalVariance: sf2, noiseVariance: sn2 } = hyper1d;
  const K = [0, 1, 2].map((i) => [0, 1, 2].map((j) => matern(x[i], x[j], 0.7, sf2) + (i === j ? sn2 : 0)));
  // det and adjugate by cofactors
  const c = (i: number, j: number) => {
    const r = [0, 1, 2].filter((v) => v !== i);
    const s = [0, 1, 2].filter((v) => v !== j);
    return (-1) ** (i + j) * (K[r[0]][s[0]] * K[r[1]][s[1]] - K[r[0]][s[1]] * K[r[1]][s[0]]);
  };
  const det = K[0][0] * c(0, 0) + K[0][1] * c(0, 1) + K[0][2] * c(0, 2);
  let quad = 0;
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) quad += (y[i] * c(j, i) * y[j]) / det;
  const expected = -0.5 * quad - 0.5 * Math.log(det) - 1.5 * Math.log(2 * Math.PI);
  close(logMarginalLikelihood(x, y, 3, 1, hyper1d).value, expected, 1e-12, "ln p(y)");
});

test("the posterior variance vanishes at a noise-free observation and the mean interpolates it", () => {
  const hyper = { ...hyper1d, noiseVariance: 1e-10 };
  const model = fitGp(Float64Array.of(0.3), Float64Array.of(2), 1, 1, hyper);
  const { mean, variance } = gpPosterior(model, Float64Array.of(0.3), 1);
  close(mean[0], 2, 1e-8, "mean");
  assert.ok(variance[0] < 1e-8);
});

test("cholesky: solves and inverts a 3x3 SPD matrix; adds jitter to a singular one", () => {
  const k = Float64Array.of(4, 2, 0.4, 2, 3, 0.5, 0.4, 0.5, 2);
  const factor = cholesky(k, 3);
  assert.equal(factor.jitter, 0);
  const solved = choleskySolve(factor, Float64Array.of(1, 2, 3), new Float64Array(3));
  for (let i = 0; i < 3; i++) {
    close(
      k[i * 3] * solved[0] + k[i * 3 + 1] * solved[1] + k[i * 3 + 2] * solved[2],
      i + 1,
      1e-12,
      `row ${i}`,
    );
  }
  const inverse = choleskyInverse(factor);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      let sum = 0;
      for (let p = 0; p < 3; p++) sum += k[i * 3 + p] * inverse[p * 3 + j];
      close(sum, i === j ? 1 : 0, 1e-12, `K K⁻¹ [${i}, ${j}]`);
    }
  }
  const singular = cholesky(Float64Array.of(1, 1, 1, 1), 2);
  assert.ok(singular.jitter > 0);
});

function randomData(n: number, dim: number, seed: number) {
  const rng = new Rng(seed);
  const x = Float64Array.from({ length: n * dim }, () => rng.uniformIn(-1, 1));
  const y = Float64Array.from({ length: n }, (_, i) => Math.sin(3 * x[i * dim]) + 0.1 * rng.normal());
  return { x, y, rng };
}

test("logMarginalLikelihood: the analytic gradient matches central differences (ARD and shared ℓ)", () => {
  const dim = 3;
  const { x, y } = randomData(9, dim, 5);
  for (const lengthScales of [Float64Array.of(0.4, 0.9, 1.7), Float64Array.of(0.6)]) {
    const hyper: GpHyperparameters = { lengthScales, signalVariance: 0.8, noiseVariance: 0.05 };
    const logParams = hyperToLogParams(hyper);
    const { gradient } = logMarginalLikelihood(x, y, 9, dim, hyper);
    const h = 1e-5;
    logParams.forEach((_, j) => {
      const plus = logParams.slice();
      const minus = logParams.slice();
      plus[j] += h;
      minus[j] -= h;
      const numeric =
        (logMarginalLikelihood(x, y, 9, dim, logParamsToHyper(plus)).value -
          logMarginalLikelihood(x, y, 9, dim, logParamsToHyper(minus)).value) /
        (2 * h);
      close(gradient[j], numeric, 1e-6, `∂ ln p / ∂ logParam ${j} (L = ${lengthScales.length})`);
    });
  }
});

test("gpPosteriorWithGradient: values equal gpPosterior and gradients match central differences", () => {
  const dim = 3;
  const { x, y } = randomData(7, dim, 9);
  const model = fitGp(x, y, 7, dim, {
    lengthScales: Float64Array.of(0.5, 0.8, 1.2),
    signalVariance: 1.1,
    noiseVariance: 0.02,
  });
  const query = Float64Array.of(0.2, -0.35, 0.6);
  const point = gpPosteriorWithGradient(model, query);
  const direct = gpPosterior(model, query, 1);
  close(point.mean, direct.mean[0], 1e-12, "mean");
  close(point.variance, direct.variance[0], 1e-12, "variance");
  const h = 1e-6;
  for (let d = 0; d < dim; d++) {
    const plus = query.slice();
    const minus = query.slice();
    plus[d] += h;
    minus[d] -= h;
    const p = gpPosterior(model, plus, 1);
    const m = gpPosterior(model, minus, 1);
    close(point.meanGradient[d], (p.mean[0] - m.mean[0]) / (2 * h), 1e-6, `∂μ/∂x_${d}`);
    close(point.varianceGradient[d], (p.variance[0] - m.variance[0]) / (2 * h), 1e-6, `∂σ²/∂x_${d}`);
  }
});

test("ucb and the GP-UCB β_t schedule", () => {
  assert.equal(ucb(1, 4, 9), 7);
  assert.equal(ucb(1, -1e-18, 9), 1);
  // t = 1: β = scale · 2 ln(π² / (3δ))
  close(gpUcbBeta(1, 12, 0.1, 1), 2 * Math.log((Math.PI * Math.PI) / 0.3), 1e-15, "β_1");
  assert.ok(gpUcbBeta(50, 12, 0.1, 0.2) > gpUcbBeta(10, 12, 0.1, 0.2));
});
