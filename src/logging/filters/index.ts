// Registers every field filter of the `filter` log encoder; import this once before compiling an encoder.
import './cookie.ts';
import './delete.ts';
import './hash.ts';
import './ip-mask.ts';
import './query.ts';
import './regexp.ts';
import './rename.ts';
import './replace.ts';
