/** One job: the shape every subcommand of `node benchmarks/dist/main.js <command>` has. */
export interface Command {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Printed by `--help`, and after a bad flag. */
  readonly usage: string;
  /** Runs with the arguments after the command name (a `--` separator already removed). */
  run(argv: readonly string[]): Promise<void>;
}
