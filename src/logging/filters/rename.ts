import { registerFieldFilter } from '../field-filter.ts';

// `rename <name>`: the field keeps its value under another key (an absent name gives the empty key, as in Caddy).
registerFieldFilter('rename', (json) => {
  const name = typeof json.name === 'string' ? json.name : '';
  return (field) => ({ key: name, value: field.value });
});
