/**
 * Simulator benchmark (`npm run bench -- --only sim`): ranked requests per second at C = 200
 * candidates, on one core (the simulator is single-threaded; the native kernels are set to one
 * thread for the BCQ policy), target ≥ 5,000 with the behaviour policy. A request is retrieval,
 * the 12 true task values and the MTL's noisy predictions of 200 candidates, the policy's α,
 * Eq. 1 over them (core's `fusionScores`), the play and its bookkeeping (state encoding, history,
 * patience).
 *
 * - Behaviour policy (a fixed α) at two population sizes 4x apart: requests/s that do not fall
 *   with the population show that the time is linear in the users simulated.
 * - A BCQ-sized policy (paper sizes: VAE 750-750, actor and critic 400-300, n = 10 candidate
 *   actions per state; untrained weights, the cost is the same): BCQ is stochastic, so the
 *   simulator calls it once per request with the request's own seeded draws.
 *
 * World construction (catalogue, static tables) is not timed.
 */
import { bcqConfig, bcqDims, policySamples } from "../../src/agents/bcq/config.js";
import { createBcqNetworks } from "../../src/agents/bcq/networks.js";
import { BcqPolicy } from "../../src/agents/bcq/policy.js";
import { behaviourPolicy } from "../../src/agents/behaviour.js";
import { identityNormaliser } from "../../src/agents/common/normaliser.js";
import type { Policy } from "../../src/core/interfaces.js";
import { Rng } from "../../src/core/rng.js";
import { N_TASKS } from "../../src/core/tasks.js";
import { getNativeThreads, setNativeThreads } from "../../src/nn/native-kernels.js";
import { simPreset } from "../../src/sim/config.js";
import { SIM_STATE_DIM, Simulator } from "../../src/sim/engine.js";
import { createWorld, freshUserIds, type SimWorld } from "../../src/sim/world.js";
import { absolute, type BenchContext, type Measurement, median, type Workload } from "../harness.js";

/** An untrained BCQ policy at the paper's sizes (the `bcq` config defaults) for the simulator's states. */
function bcqSizedPolicy(): BcqPolicy {
  const config = bcqConfig();
  const dims = bcqDims(config, SIM_STATE_DIM, N_TASKS);
  const { decoder, actor, critic1 } = createBcqNetworks(config, dims, new Rng(1));
  return new BcqPolicy({
    id: "bcq-sized",
    networks: { decoder, actor, critic1 },
    normaliser: identityNormaliser(SIM_STATE_DIM),
    dims,
    rho: config.rho,
    samples: policySamples(config),
    latentClip: config.latentClip,
  });
}

/** Median requests/s over `repeats` one-day runs of `users` fresh users served by `policy`. */
function requestsPerSecond(
  world: SimWorld,
  policy: Policy,
  users: number,
  repeats: number,
): { readonly rate: number; readonly requests: number } {
  const rates: number[] = [];
  let requests = 0;
  for (let r = 0; r < repeats; r++) {
    const simulator = new Simulator(world, {});
    const run = freshUserIds(r, 0, users).map((id) => ({
      id,
      assignment: { policy, group: null, noiseScale: null, arm: null },
    }));
    const started = performance.now();
    const outcomes = simulator.runDays(run, { days: 1, seed: r });
    const seconds = (performance.now() - started) / 1000;
    requests = outcomes.reduce((a, o) => a + o.plays, 0);
    rates.push(requests / seconds);
  }
  return { rate: median(rates), requests };
}

export const simWorkloads: Workload[] = [
  {
    name: "sim",
    description:
      "simulator: ranked requests/s at C = 200 on one core, behaviour policy at two population sizes and a BCQ-sized policy",
    async run(ctx: BenchContext): Promise<readonly Measurement[]> {
      const world = createWorld(simPreset("default"), 1);
      const small = ctx.quick ? 250 : 1000;
      const repeats = ctx.quick ? 1 : 3;
      const behaviour = behaviourPolicy(SIM_STATE_DIM);
      const out: Measurement[] = [];
      const rates: number[] = [];
      for (const users of [small, 4 * small]) {
        ctx.log(`sim: behaviour policy, ${users} users x 1 day, ${repeats} repeat(s)`);
        const { rate, requests } = requestsPerSecond(world, behaviour, users, repeats);
        rates.push(rate);
        out.push(
          absolute(
            "sim",
            `ranked requests/s, behaviour policy (${users} users)`,
            rate,
            "req/s",
            `${requests} requests; target ≥ 5,000/core`,
          ),
        );
      }
      out.push(
        absolute(
          "sim",
          "scaling (requests/s at 4x users ÷ at 1x)",
          rates[1] / rates[0],
          "x",
          "≈ 1 = time linear in the population",
        ),
      );
      const bcqUsers = ctx.quick ? 50 : 250;
      const threads = getNativeThreads();
      setNativeThreads(1);
      try {
        ctx.log(`sim: BCQ-sized policy, ${bcqUsers} users x 1 day, native kernels on 1 thread`);
        const { rate, requests } = requestsPerSecond(world, bcqSizedPolicy(), bcqUsers, 1);
        out.push(
          absolute(
            "sim",
            `ranked requests/s, BCQ-sized policy (${bcqUsers} users)`,
            rate,
            "req/s",
            `${requests} requests; paper sizes, n = 10, one act per request`,
          ),
        );
      } finally {
        setNativeThreads(threads);
      }
      return out;
    },
  },
];
