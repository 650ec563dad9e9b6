// The package's command line run from the sources (tsx), for the device machine where dist/ is not built:
//   node node_modules/tsx/dist/cli.mjs bench/gpu/cli.ts reproduce --depths 20,32 …
import { main } from '../../lib/cli';

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
