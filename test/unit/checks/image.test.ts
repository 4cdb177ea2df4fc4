import { describe, expect, it } from 'vitest';
import { instructionOf } from '../../../engine/checks/kinds/image.ts';
import { tableTest } from './tester.ts';

tableTest('image', {
  valid: [
    { state: 'classes', name: 'pulled under its own name', params: { name: 'debian', pulled: true } },
    { state: 'classes', params: { name: 'hello-world:latest', pulled: true } },
    {
      state: 'classes',
      name: "EXPOSE and CMD in the image's own layers (fp-inherit, an earlier build, is its bottom: not a nearer base)",
      params: { name: 'fp-own', from: 'nginx', instructions: ['LABEL', 'RUN', 'EXPOSE', 'CMD'] },
    },
    {
      state: 'classes',
      name: 'built FROM nginx',
      params: { name: 'fp-inherit', from: 'nginx:latest', instructions: ['LABEL'] },
    },
    {
      state: 'classes',
      name: 'built FROM debian, with nginx (also made on debian) beside it',
      params: { name: 'fp-debian', from: 'debian', instructions: ['EXPOSE', 'CMD'] },
    },
    { state: 'bare', params: { name: 'busybox:latest' } },
    { state: 'bare', params: { name: 'docker.io/library/nginx' } },
    { state: 'docker', params: { name: 'mybox:v1', sameAs: 'busybox:latest' } },
    {
      state: 'docker',
      params: {
        name: 'myapp',
        entrypoint: ['/bin/echo', '你好'],
        cmd: ['docker'],
        workdir: '/app',
        user: 'daemon',
        env: { APP_ENV: 'production' },
        volumes: ['/data'],
        labels: { course: 'dockerlab' },
        exposedPorts: ['80/tcp'],
        onBuild: ['COPY index.html /srv/'],
        minHistory: 4,
      },
    },
    { state: 'bare', params: { name: 'mybox:v1', exists: false } },
  ],
  invalid: [
    {
      state: 'classes',
      name: 'another image tagged with the expected name counts as pulled',
      params: { name: 'alpine:latest', pulled: true },
      messageId: 'notPulled',
      message: /debian/,
    },
    {
      state: 'classes',
      name: "EXPOSE and CMD inherited from the base image count as the learner's",
      params: { name: 'fp-inherit', from: 'nginx', instructions: ['EXPOSE', 'CMD'] },
      messageId: 'inherited',
      message: /EXPOSE/,
    },
    {
      state: 'classes',
      name: 'the same EXPOSE/CMD, but built FROM debian',
      params: { name: 'fp-debian', from: 'nginx', instructions: ['EXPOSE', 'CMD'] },
      messageId: 'notFrom',
    },
    {
      state: 'classes',
      name: 'built FROM nginx counts as FROM debian (nginx is debian plus a layer)',
      params: { name: 'fp-inherit', from: 'debian' },
      messageId: 'nearer',
      message: /FROM debian.*nginx:latest/,
    },
    { state: 'bare', params: { name: 'mybox:v1' }, messageId: 'missing', message: /busybox:latest/ },
    { state: 'docker', params: { name: 'mybox:v1', sameAs: 'nginx' }, messageId: 'notSame' },
    {
      state: 'docker',
      params: { name: 'myapp', cmd: ['nginx'] },
      messageId: 'field',
      message: /Cmd 是 \["docker"\]，应该是 \["nginx"\]/,
    },
    {
      state: 'docker',
      params: { name: 'myapp', exposedPorts: ['443/tcp'] },
      messageId: 'field',
      message: /ExposedPorts/,
    },
    {
      state: 'docker',
      params: { name: 'myapp', author: 'me' },
      messageId: 'field',
      message: /Author 是（空），应该是 me/,
    },
    { state: 'docker', params: { name: 'busybox', minHistory: 50 }, messageId: 'history' },
    {
      state: 'docker',
      params: { name: 'mybox:v1', exists: false },
      messageId: 'present',
      message: /docker rmi mybox:v1/,
    },
    { state: 'docker-stopped', params: { name: 'busybox' }, messageId: 'dockerDown' },
  ],
});

describe('Dockerfile instructions in history', () => {
  it('reads the classic builder, BuildKit and RUN lines', () => {
    expect(instructionOf('/bin/sh -c #(nop)  EXPOSE 80')).toBe('EXPOSE');
    expect(instructionOf('/bin/sh -c #(nop) WORKDIR /app')).toBe('WORKDIR');
    expect(instructionOf('/bin/sh -c echo hi > note.txt')).toBe('RUN');
    expect(instructionOf('|1 V=2 /bin/sh -c echo $V')).toBe('RUN');
    expect(instructionOf('EXPOSE map[80/tcp:{}]')).toBe('EXPOSE');
    expect(instructionOf('RUN /bin/sh -c apt-get update # buildkit')).toBe('RUN');
    expect(instructionOf('CMD ["nginx" "-g" "daemon off;"]')).toBe('CMD');
  });
});
