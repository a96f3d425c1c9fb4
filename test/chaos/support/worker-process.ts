/**
 * One forked chaos worker (support/worker.mjs) seen from the harness: started and connected ahead
 * of time (a warm spare, so a restart does not wait for Node to boot), then given one run, told
 * when to go on at its pause point, and killed with SIGKILL when the plan says so.
 */
import { type ChildProcess, fork } from "node:child_process";
import type { StoreSpec } from "./backends.js";

const WORKER = new URL("./worker.mjs", import.meta.url);

export interface WorkerInit {
  spec: StoreSpec;
  upstreamUrl: string;
  auditPath: string;
}

export interface RunRequest {
  orderId: string;
  mode: "honour" | "reconcile" | "none";
  leaseMs: number;
  waitMs?: number;
  pauseAt?: string;
  notify?: string[];
  toolMs?: number;
}

export type WorkerMessage =
  | { type: "ready" }
  | { type: "marker"; name: string }
  | { type: "done"; key: string; value: { effect_id: string }; outcome: string; attempt: number; completeOk: boolean | undefined; aborted: boolean }
  | { type: "error"; code?: string; name?: string; message: string; phase?: string };

export class WorkerProcess {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  readonly exited: Promise<number | null>;
  killed = false;
  #listeners = new Set<(m: WorkerMessage) => void>();

  constructor(init: WorkerInit) {
    // The worker runs plain Node on the built packages; test/ resolves them to their dist/.
    this.child = fork(WORKER, [], { stdio: ["ignore", "inherit", "inherit", "ipc"], cwd: new URL("../../", import.meta.url).pathname });
    // "close", not "exit": messages still in the IPC pipe (a "done" sent just before exiting) are
    // delivered after "exit" but before "close", and must not be taken for a silent death.
    this.exited = new Promise((resolve) => this.child.once("close", (code) => resolve(code)));
    this.child.on("message", (m) => {
      for (const l of [...this.#listeners]) l(m as WorkerMessage);
    });
    this.ready = new Promise<void>((resolve, reject) => {
      const off = this.on((m) => {
        if (m.type === "ready") (off(), resolve());
        else if (m.type === "error") (off(), reject(new Error(`worker failed to start: ${m.message}`)));
      });
      void this.exited.then((code) => reject(new Error(`worker exited with ${code} before it was ready`)));
    });
    this.ready.catch(() => undefined);
    this.child.send({ type: "init", ...init });
  }

  on(listener: (m: WorkerMessage) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  run(request: RunRequest): void {
    this.child.send({ type: "run", ...request });
  }

  go(): void {
    if (this.child.connected) this.child.send({ type: "go" });
  }

  /** SIGKILL, as a crash, an OOM kill or a pulled plug would end it. */
  kill(): boolean {
    if (this.child.exitCode !== null || this.killed) return false;
    this.killed = true;
    return this.child.kill("SIGKILL");
  }

  /** Ends an idle spare. */
  async dispose(): Promise<void> {
    if (this.child.exitCode === null && this.child.connected) this.child.send({ type: "exit" });
    const t = setTimeout(() => this.kill(), 5000);
    await this.exited;
    clearTimeout(t);
  }
}
