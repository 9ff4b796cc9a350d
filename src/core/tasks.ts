/**
 * The 12 tasks of the platform's multi-task model (MTL), in the order the action vector uses:
 * one fusion weight α_i per task (paper Eq. 1). `play_time` is in seconds; the others are
 * probabilities.
 */
export const TASKS = [
  "click",
  "long_view",
  "finish",
  "play_time",
  "skip",
  "like",
  "comment",
  "follow",
  "forward",
  "profile_enter",
  "hate",
  "exit",
] as const;

export type TaskName = (typeof TASKS)[number];

export const N_TASKS = TASKS.length;

const TASK_INDEX: ReadonlyMap<string, number> = new Map(TASKS.map((t, i) => [t, i]));

/** Index of a task in the action vector, or -1 when the name is not a task. */
export function taskIndex(name: string): number {
  return TASK_INDEX.get(name) ?? -1;
}

export function isTaskName(name: string): name is TaskName {
  return TASK_INDEX.has(name);
}

/** Tasks whose outcome users dislike: their fusion weight is bounded to [-2, 0] by default. */
export const NEGATIVE_TASKS: readonly TaskName[] = ["skip", "hate", "exit"];

/** True for every task predicted as a probability (all but `play_time`, which is seconds). */
export function isProbabilityTask(name: TaskName): boolean {
  return name !== "play_time";
}
