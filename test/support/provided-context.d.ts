/**
 * What `global-setup.ts` hands the tests through `inject()`: the URLs of the real servers, or
 * undefined when one does not answer (its suites skip, or fail under CI=true).
 */
import "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    pgUrl: string | undefined;
    redisUrl: string | undefined;
    mysqlUrl: string | undefined;
    /** Redis Cluster node URLs (every node), for `rootNodes`. */
    redisClusterNodes: string[] | undefined;
  }
}
