/** `GET /api/lessons/:lesson/topology`: the learner's lab as a graph, and what each command changed. */
import { HttpError, type Course } from '../server/course.ts';
import type { Workspaces } from '../server/workspaces.ts';
import type { TopologyTracker } from './tracker.ts';
import type { TopologyView } from './types.ts';

export interface TopologyContext {
  course: Course;
  workspaces: Workspaces;
  topology: TopologyTracker;
}

/**
 * `url` may carry `?step=N`: the step the learner was on when the command ran (the panel takes it
 * from the check event; by the time it asks, a passed step has already moved the learner on).
 */
export async function topologyRoute(
  c: TopologyContext,
  learnerId: string,
  lessonId: string,
  url = '',
): Promise<TopologyView> {
  const lesson = c.course.lesson(lessonId); // 404 for a lesson that does not exist
  const lab = c.workspaces.peek(learnerId)?.runningLab;
  if (!lab)
    throw new HttpError(409, {
      zh: '实验机器还没准备好，准备好以后这里会画出它的网络。',
      en: 'The lab is not ready yet; its network is drawn here once it is.',
    });
  const asked = Number(new URL(url, 'http://x').searchParams.get('step') ?? NaN);
  const step =
    Number.isInteger(asked) && asked >= 0 && asked < lesson.steps.length
      ? asked
      : c.course.currentStep(learnerId, lessonId);
  return c.topology.view(learnerId, lessonId, lab, step);
}
