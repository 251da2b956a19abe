import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { buildCommandLine, type CommandRunner, type RunOptions, type RunResult } from '../../../../../electron/services/ssh/command-runner.ts';
import { failureFromStderr } from '../../../../../electron/services/ssh/stderr-error-table.ts';

/**
 * A CommandRunner that runs the command line on this machine's /bin/sh with a private HOME: exercises the
 * remote shell programs (authorized_keys editing...) for real without a NAS. Unit tests only.
 */
export class LocalShellRunner implements CommandRunner {
  readonly label: string;
  readonly home: string;
  readonly commands: string[][] = [];
  constructor(label: string, home: string) {
    this.label = label;
    this.home = home;
  }
  run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    this.commands.push([...argv]);
    return new Promise((resolve, reject) => {
      const child = spawn('sh', ['-c', buildCommandLine(argv)], { env: { PATH: process.env.PATH, HOME: this.home, LC_ALL: 'C' }, cwd: this.home });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('error', reject);
      child.on('close', (code) => {
        const exitCode = code ?? -1;
        if ((options.expectedExitCodes ?? [0]).includes(exitCode)) resolve({ exitCode, stdout, stderr });
        else reject(failureFromStderr({ label: this.label, command: argv.join(' '), exitCode, stderr }));
      });
      const input = options.stdin;
      // A script that exits without reading its input closes the pipe: EPIPE is expected, the exit status decides.
      child.stdin.on('error', () => undefined);
      if (input === undefined) child.stdin.end();
      else if (typeof input === 'string' || Buffer.isBuffer(input)) child.stdin.end(input);
      else (input instanceof Readable ? input : Readable.from(input)).pipe(child.stdin);
    });
  }
}
