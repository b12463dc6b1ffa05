// The action's entry point: the runner runs `node dist/index.js`.
import { run } from './main.js'

await run()
