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

export async function topologyRoute(
  c: TopologyContext,
  learnerId: string,
  lessonId: string,
): Promise<TopologyView> {
  c.course.lesson(lessonId); // 404 for a lesson that does not exist
  const lab = c.workspaces.peek(learnerId)?.runningLab;
  if (!lab)
    throw new HttpError(409, {
      zh: '实验机器还没准备好，准备好以后这里会画出它的网络。',
      en: 'The lab is not ready yet; its network is drawn here once it is.',
    });
  return c.topology.view(learnerId, lessonId, lab, c.course.currentStep(learnerId, lessonId));
}
