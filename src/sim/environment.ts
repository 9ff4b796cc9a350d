/**
 * The simulator as core's `Environment`: runs policy groups for N days and reports per-user
 * outcomes (app time, plays, positive plays, sessions, active days). The online baselines (BO,
 * ES) and the pipeline reach the simulated world through it.
 */
import type { Environment, GroupOutcome, PolicyGroup } from "../core/interfaces.js";
import { type FusionParams, type RunUser, Simulator } from "./engine.js";
import type { SimUserOutcome } from "./user-state.js";
import { freshUserIds, type SimWorld } from "./world.js";

/** A group's outcome with the simulator's per-day series per user. */
export interface SimGroupOutcome extends GroupOutcome {
  readonly users: readonly SimUserOutcome[];
}

export class SimEnvironment implements Environment {
  readonly name: string;
  readonly world: SimWorld;
  private readonly fusion: FusionParams | undefined;

  constructor(world: SimWorld, fusion?: FusionParams) {
    this.world = world;
    this.fusion = fusion;
    this.name = `simulator(${world.configHash})`;
  }

  /**
   * Each group's users are `userIds` when given (the same id in two groups is the same person with
   * the same random streams: a paired comparison), else fresh ids unique to (seed, group).
   */
  async run(
    groups: readonly PolicyGroup[],
    options: { readonly days: number; readonly seed: number },
  ): Promise<readonly SimGroupOutcome[]> {
    const simulator = new Simulator(this.world, { fusion: this.fusion });
    return groups.map((group, g) => {
      const ids = group.userIds ?? freshUserIds(options.seed, g, group.users);
      const users: RunUser[] = ids.map((id) => ({
        id,
        assignment: { policy: group.policy, group: null, noiseScale: null, arm: null },
      }));
      const outcomes = simulator.runDays(users, options);
      return { policyId: group.policy.id, days: options.days, users: outcomes };
    });
  }
}
