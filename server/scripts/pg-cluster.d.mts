// Types of pg-cluster.mjs for the TypeScript tests.
export interface Cluster {
  dir: string;
  port: number;
  host: string;
  url(database: string): string;
  start(): string;
  stopServer(mode?: 'fast' | 'immediate' | 'smart'): string;
  restart(mode?: 'fast' | 'immediate' | 'smart'): string;
  restartAsync(mode?: 'fast' | 'immediate' | 'smart'): Promise<string>;
  destroy(): void;
}
export function findPgBin(): string | null;
export function freePort(): Promise<number>;
export function startCluster(opts?: { fsync?: boolean }): Promise<Cluster>;
