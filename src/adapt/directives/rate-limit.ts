// Filled in by the adapter work: registers its directives on import.
export {};
