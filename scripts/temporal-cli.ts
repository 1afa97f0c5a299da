/** `npm run temporal:cli`: prints the path of the Temporal CLI binary, building it first when there is none. */
import { findTemporalCli } from '../src/temporal/cli';

findTemporalCli().then(
  (p) => console.log(p),
  (err: Error) => {
    console.error(err.message);
    process.exit(1);
  },
);
