/**
 * `dockerlab <command>`: each command lives in its own module exporting `main(args): Promise<number>`
 * (the exit status), loaded only when asked for.
 */
import { say } from './log.ts';

const commands: Record<
  string,
  { module: () => Promise<{ main(args: string[]): Promise<number> }>; help: string }
> = {
  sandbox: {
    module: () => import('./sandbox/cli.ts'),
    help: 'build | up | shell | exec | snapshot | reset | down | list | doctor',
  },
  serve: {
    module: () => import('./server/cli.ts'),
    help: '启动网页服务 / serve the web app (PORT, default 8080)',
  },
  class: {
    module: () => import('./server/class-cli.ts'),
    help: '课堂模式：list | forget-pin <名字> / class mode: list names, clear a forgotten PIN',
  },
  lessons: { module: () => import('./lessons/cli.ts'), help: 'lint: 检查课程文件 / validate lessons/*.md' },
  verify: {
    module: () => import('./verify/cli.ts'),
    help: '在沙箱里证明课程 / prove lessons in a fresh sandbox',
  },
  bench: { module: () => import('../bench/cli.ts'), help: '性能测试 / print benchmark ratios' },
};

const [name, ...rest] = process.argv.slice(2);
const command = name ? commands[name] : undefined;
if (!command) {
  say('用法 / usage: dockerlab <command> [options]\n');
  for (const [n, c] of Object.entries(commands)) say(`  ${n.padEnd(8)} ${c.help}`);
  process.exitCode = name && name !== 'help' && name !== '--help' ? 2 : 0;
} else {
  process.exitCode = await (await command.module()).main(rest);
}
