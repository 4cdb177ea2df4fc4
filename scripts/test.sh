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
# The whole course, two lessons at a time: each step's check fails before and passes after its
# reference solution, rejects every ```wrong block and accepts every ```ok block (426 near-miss
# cases), each from a checkpoint of the step's start. A case whose state an earlier run on this machine
# recorded, with nothing that makes that state changed since (image, kernel command line, runner, the
# lesson's scripts), is judged by today's check on the recorded state (engine/verify/records.ts);
# the others run in the lab and are recorded. The first run on a machine (or after the image changes)
# runs all of them: over an hour here; later runs about 20 min.
echo "==> verify";     node bin/dockerlab.js verify --all --jobs 2 --retries 1
