#!/usr/bin/env bash
# The whole test run, in the order STYLE.md asks: lint → typecheck → format → build → tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "==> lint";       npx eslint --max-warnings 0 .
echo "==> typecheck";  npm run -s typecheck
echo "==> format";     npx prettier --check .
echo "==> lessons";    node bin/dockerlab.js lessons lint --require-wrong
echo "==> build";      npx vite build --logLevel warn
echo "==> unit";       npx vitest run --config vitest.unit.config.ts
echo "==> sandbox";    npx vitest run --config vitest.sandbox.config.ts
echo "==> browser";    npx vitest run --config vitest.browser.config.ts
# Every lesson, two at a time: each step's check fails before and passes after its reference solution,
# and rejects every ```wrong block and accepts every ```ok block, each run from a checkpoint of the
# step's start (issue 10). Labs are kept between lessons and restored to a fresh checkpoint.
echo "==> verify";     node bin/dockerlab.js verify --all --jobs 2 --retries 1
