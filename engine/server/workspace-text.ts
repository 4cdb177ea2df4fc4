/** What a learner reads about their lab's health, in Chinese first, as a teacher would say it. */
import type { LabFailure } from '../sandbox/api.ts';
import type { Text } from '../protocol.ts';

const what: Record<LabFailure['cause'], Text> = {
  poweroff: { zh: '你的实验机器关机了', en: 'Your lab machine was powered off' },
  crash: { zh: '你的实验机器崩溃了（内核出错）', en: 'Your lab machine crashed (a kernel error)' },
  unresponsive: {
    zh: '你的实验机器停止响应了（可能是关机或内核崩溃）',
    en: 'Your lab machine stopped answering (it may have been powered off, or its kernel crashed)',
  },
  supervisor: {
    zh: '管理你的实验机器的程序意外退出了',
    en: 'The program that runs your lab machine ended unexpectedly',
  },
};

/** Why a lab is new: said while it is being made, and once it is ready. */
export interface Notice {
  meanwhile: Text;
  after: Text;
}

/** The lab failed and a new one is on its way. */
export function failureNotice(f: LabFailure): Notice {
  const w = what[f.cause];
  return {
    meanwhile: {
      zh: `${w.zh}。正在为你准备一台新的，已完成的步骤会重新执行。`,
      en: `${w.en}. A new one is being prepared for you; your finished steps will be redone.`,
    },
    after: {
      zh: `${w.zh}，已为你换了一台新的，已完成的步骤已重新执行。`,
      en: `${w.en}, so you have a new one; your finished steps were redone.`,
    },
  };
}

/** The lab failed while the learner was away: a new one comes with their next visit. */
export function laterNotice(f: LabFailure): Text {
  const w = what[f.cause];
  return {
    zh: `${w.zh}。下次打开课程时会为你准备一台新的，已完成的步骤会重新执行。`,
    en: `${w.en}. A new one will be prepared when you next open the course; your finished steps will be redone.`,
  };
}

/** Labs keep failing: the learner decides when to try again. */
export function tooManyFailures(f: LabFailure, times: number): Text {
  const w = what[f.cause];
  return {
    zh: `${w.zh}。这是 10 分钟内第 ${times} 次了，所以没有自动换新的。看看最后运行的命令是不是会让机器关机或崩溃，然后点“重试”；你的进度都还在。`,
    en: `${w.en}. That is ${times} times in 10 minutes, so no new one was started by itself. Check whether your last command stops or crashes the machine, then press “Try again”; your progress is kept.`,
  };
}

export const resetNotice: Notice = {
  meanwhile: {
    zh: '正在按你的要求换一台新的实验机器，已完成的步骤会重新执行。',
    en: 'Replacing your lab machine with a new one, as you asked; your finished steps will be redone.',
  },
  after: {
    zh: '按你的要求换了一台新的实验机器，已完成的步骤已重新执行。',
    en: 'Your lab machine was replaced with a new one, as you asked; your finished steps were redone.',
  },
};

/** The learner opened another lesson: every lesson starts on a clean machine of its own. */
export const newLessonNotice: Notice = {
  meanwhile: {
    zh: '每一课都在一台干净的机器上开始：正在为这一课启动一台新的实验机器，这一课已完成的步骤会重新执行。',
    en: 'Every lesson starts on a clean machine: a new lab machine is starting for this lesson, and its finished steps will be redone.',
  },
  after: {
    zh: '这是为这一课新启动的干净机器：上一课的容器和文件不在这里。',
    en: 'This is a clean machine started for this lesson: the containers and files of the last lesson are not here.',
  },
};

/** A finished step whose reference solution failed when it was redone on a new lab. */
export function replayProblem(step: number, title: string, why: Text): Text {
  return {
    zh: `重做第 ${step + 1} 步「${title}」时出错了：${why.zh}。这一步在这台机器上可能没有完成，请检查一下，需要的话再做一遍。`,
    en: `Redoing step ${step + 1} “${title}” failed: ${why.en}. That step may not be in place on this machine: check it and do it again if needed.`,
  };
}

/** What the learner reads once the lab is stopped: whether it comes back whole. */
export function stoppedReason(reason: Text, saving: boolean): Text {
  return saving
    ? {
        zh: `${reason.zh}它会被原样保存：点“继续”，文件、容器和网络配置都会回来。`,
        en: `${reason.en} It is saved as it is: press “Resume” and your files, containers and network setup come back.`,
      }
    : {
        zh: `${reason.zh}点“继续”会重新启动它，并重做你已完成的步骤。`,
        en: `${reason.en} Press “Resume” to start it again with your finished steps redone.`,
      };
}
