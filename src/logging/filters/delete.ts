import { registerFieldFilter } from '../field-filter.ts';

// `delete`: the field is left out of the entry.
registerFieldFilter('delete', () => () => undefined);
