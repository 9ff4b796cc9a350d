/**
 * A synthetic `Environment` for tests of the online agents: each user has a random state (standard
 * normal, [stateDim]) drawn from the run seed, the group's policy acts once on all its users'
 * states, and a user's daily app time is a known function of (state, action) plus Gaussian noise.
 * The optimum is known, so tests can check that a tuner finds it within a budget.
 */
import {
  ACTION_DIM,
  type Environment,
  type GroupOutcome,
  type PolicyGroup,
  type UserOutcome,
} from "../../core/interfaces.js";
import { deriveSeed, Rng } from "../../core/rng.js";

export interface FakeEnvironmentArgs {
  readonly stateDim: number;
  /** Expected app time in seconds per day of a user in `state` served `action` (both raw arrays). */
  readonly appTimeS: (state: Float32Array, action: Float32Array) => number;
  /** Std of the daily app-time noise. */
  readonly noiseStdS: number;
  /** Plays per user per day (positive plays are a tenth of them). */
  readonly playsPerDay?: number;
}

export class FakeEnvironment implements Environment {
  readonly name = "fake";
  /** User-days served so far (to check budgets). */
  userDays = 0;
  private readonly args: FakeEnvironmentArgs;

  constructor(args: FakeEnvironmentArgs) {
    this.args = args;
  }

  async run(
    groups: readonly PolicyGroup[],
    options: { readonly days: number; readonly seed: number },
  ): Promise<readonly GroupOutcome[]> {
    const { stateDim, noiseStdS } = this.args;
    const playsPerDay = this.args.playsPerDay ?? 20;
    return groups.map((group, g) => {
      const k = group.users;
      const rng = new Rng(deriveSeed(options.seed, `fake:group:${g}`));
      const states = new Float32Array(k * stateDim); // [k x stateDim]
      for (let i = 0; i < states.length; i++) states[i] = rng.normal();
      const actions = new Float32Array(k * ACTION_DIM); // [k x 12]
      group.policy.act(states, k, actions, rng.derive("policy"));
      const users: UserOutcome[] = [];
      for (let u = 0; u < k; u++) {
        const state = states.subarray(u * stateDim, (u + 1) * stateDim);
        const action = actions.subarray(u * ACTION_DIM, (u + 1) * ACTION_DIM);
        let appTimeS = 0;
        for (let day = 0; day < options.days; day++) {
          appTimeS += Math.max(0, this.args.appTimeS(state, action) + noiseStdS * rng.normal());
        }
        const plays = playsPerDay * options.days;
        users.push({
          userId: `g${g}-u${u}`,
          appTimeS,
          plays,
          positivePlays: Math.round(plays / 10),
          sessions: options.days,
          activeDays: options.days,
        });
      }
      this.userDays += k * options.days;
      return { policyId: group.policy.id, days: options.days, users };
    });
  }
}
