// The post step's entry point: the runner runs `node dist/post.js` after the job's steps.
import { endIfGaveUp } from './common/waiting.js'
import { run } from './post.js'

await run()
await endIfGaveUp()
