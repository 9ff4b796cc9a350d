/**
 * Conservative-OPE speed: iterations/s of Algorithm 2 (one Adam step each) at the paper's
 * m = 512 with the default Q network (hidden 256-256, ReLU) on simulator-sized states, for a
 * deterministic π_e (1 decision per state) and a stochastic one (the default 4 decisions per
 * state: the regulariser and the bootstrap term then run on 4·m rows each). Absolute figures;
 * K = 5,000 iterations take K / (iterations/s) seconds.
 */
import { ACTION_DIM } from "../../src/core/interfaces.js";
import { Rng } from "../../src/core/rng.js";
import { opeConfigSection } from "../../src/ope/config.js";
import type { OpeData } from "../../src/ope/data.js";
import { explicitDecisions } from "../../src/ope/decisions.js";
import { ConservativeOpe } from "../../src/ope/estimator.js";
import { SIM_STATE_DIM } from "../../src/sim/engine.js";
import { absolute, type BenchContext, type Measurement, median, type Workload } from "../harness.js";

/** A random D of simulator-sized states: 20,000 transitions in sessions of 10. */
function syntheticData(rng: Rng): OpeData {
  const size = 20_000;
  const stateDim = SIM_STATE_DIM;
  const states = new Float32Array((size + 1) * stateDim);
  rng.fillNormal(states);
  const actions = new Float32Array(size * ACTION_DIM);
  rng.fillUniform(actions, -1, 1);
  const rewards = new Float32Array(size);
  rng.fillNormal(rewards);
  return {
    stateDim,
    actionDim: ACTION_DIM,
    states,
    stateIndex: Int32Array.from({ length: size }, (_, t) => t),
    nextStateIndex: Int32Array.from({ length: size }, (_, t) => t + 1),
    actions,
    rewards,
    terminated: Uint8Array.from({ length: size }, (_, t) => (t % 10 === 9 ? 1 : 0)),
    initialStateIndex: Int32Array.from({ length: size / 10 }, (_, i) => i * 10),
  };
}

function iterationsPerSecond(data: OpeData, samples: number, ctx: BenchContext): number {
  const rng = new Rng(1);
  const states = data.states.length / data.stateDim;
  const actions = new Float32Array(states * samples * ACTION_DIM);
  rng.fillUniform(actions, -1, 1);
  const decisions = explicitDecisions(
    actions,
    new Float32Array(states * samples).fill(1 / samples),
    samples,
    ACTION_DIM,
  );
  const options = { ...opeConfigSection.parse({}), gamma: 0.95 };
  const estimator = new ConservativeOpe({ data, decisions, options }, rng);
  for (let i = 0; i < 10; i++) estimator.step();
  const iterations = ctx.quick ? 20 : 100;
  const rates: number[] = [];
  for (let rep = 0; rep < (ctx.quick ? 2 : 5); rep++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) estimator.step();
    rates.push(iterations / (Number(process.hrtime.bigint() - started) / 1e9));
  }
  return median(rates);
}

export const opeWorkloads: Workload[] = [
  {
    name: "ope",
    description: `Conservative-OPE iterations/s, m = 512, Q ${SIM_STATE_DIM + ACTION_DIM}-256-256-1, deterministic and stochastic (4 decisions) π_e`,
    async run(ctx): Promise<readonly Measurement[]> {
      const data = syntheticData(new Rng(0));
      return [1, 4].map((samples) => {
        const rate = iterationsPerSecond(data, samples, ctx);
        const note = `K = 5,000 takes ${Math.round(5000 / rate)} s`;
        return absolute(
          "ope",
          `iterations_per_s_${samples}_decision${samples > 1 ? "s" : ""}`,
          rate,
          "it/s",
          note,
        );
      });
    },
  },
];
