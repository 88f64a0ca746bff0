import { registerFieldFilter } from '../field-filter.ts';

// `replace <value>`: the field becomes that string, whatever it held before (a header list included).
registerFieldFilter('replace', (json) => {
  const value = typeof json.value === 'string' ? json.value : '';
  return (field) => ({ key: field.key, value });
});
