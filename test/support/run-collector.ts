/**
 * What a LangSmith trace would show, captured offline: a LangChain `BaseTracer` that keeps every
 * finished root run with its tree, instead of sending it.
 */
import type { Run } from "@langchain/core/tracers/base";
import { BaseTracer } from "@langchain/core/tracers/base";

/** Keeps every finished root run, with its tree; pass it in `callbacks`. */
export class RunCollector extends BaseTracer {
  name = "run_collector";
  readonly roots: Run[] = [];
  constructor() {
    super({ _awaitHandler: true }); // every run is in `roots` when invoke() resolves
  }
  protected async persistRun(run: Run): Promise<void> {
    this.roots.push(run);
  }
  /** Every run of every tree, depth first. */
  all(): Run[] {
    const out: Run[] = [];
    const walk = (r: Run) => (out.push(r), r.child_runs.forEach(walk));
    this.roots.forEach(walk);
    return out;
  }
  /** The tool runs among {@link all}, in the same order. */
  tools(): Run[] {
    return this.all().filter((r) => r.run_type === "tool");
  }
}
