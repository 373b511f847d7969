// A step of a backend's versioned schema (`pg/migrations.ts`, `sqlite/migrations.ts`). Both
// runners apply the steps not yet recorded in schema_migrations, oldest first, each in its own
// transaction together with its row.
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function oldestFirst(migrations: readonly Migration[]): Migration[] {
  return [...migrations].sort((a, b) => a.version - b.version);
}
