/**
 * `dockerlab class`: the teacher's side of class mode (DOCKERLAB_CLASS_CODE), on the progress
 * database of DOCKERLAB_DATA (safe while the server runs).
 *   list                 the names signed in so far, whether each has a PIN, and on how many browsers
 *   forget-pin <name>    a learner forgot their PIN: clear it (their next sign-in sets a new one) and
 *                        sign them out everywhere; their progress stays
 */
import { say } from '../log.ts';
import { defaultDbFile, Store } from './store.ts';

const usage =
  '用法 / usage: dockerlab class list | forget-pin <名字/name>\n' +
  '  list        列出已登录过的名字 / list the names signed in so far\n' +
  '  forget-pin  学员忘了 PIN：清掉它，下次登录时重新设 / clear a forgotten PIN (set again at the next sign-in)';

export async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  if (command !== 'list' && command !== 'forget-pin') {
    say(usage);
    return command === undefined || command === 'help' ? 0 : 2;
  }
  const store = new Store(defaultDbFile());
  try {
    if (command === 'list') {
      const learners = store.namedLearners();
      if (learners.length === 0) say('还没有人登录过 / nobody has signed in yet');
      for (const l of learners)
        say(`${l.name}\t${l.hasPin ? 'PIN ✓' : '无 PIN / no PIN'}\t${l.sessions} 个浏览器 / browsers`);
      return 0;
    }
    const name = rest.join(' ').normalize('NFC').trim();
    if (!name) {
      say(usage);
      return 2;
    }
    const learner = store.forgetPin(name);
    if (!learner) {
      say(`没有叫「${name}」的学员 / no learner named "${name}" (dockerlab class list shows the names)`);
      return 1;
    }
    say(
      `已清除「${name}」的 PIN，并让他在所有浏览器上退出；下次用这个名字登录时设的 PIN 就是新的。进度都还在。\n` +
        `Cleared the PIN of "${name}" and signed them out everywhere; the next sign-in with this name sets a new PIN. Their progress is kept.`,
    );
    return 0;
  } finally {
    store.close();
  }
}
