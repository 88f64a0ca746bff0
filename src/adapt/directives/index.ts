// Importing this module registers every directive parser the adapter knows (each file registers its own).
import './blocks.ts';
import './handlers.ts';
import './reverse-proxy/index.ts';
import './rate-limit.ts';
