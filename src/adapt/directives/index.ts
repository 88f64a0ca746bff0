// Importing this module registers every directive parser the adapter knows (each file registers its own).
import './blocks.ts';
import './reverse-proxy/index.ts';
import './rate-limit.ts';
import './respond.ts';
import './redir.ts';
import './headers.ts';
import './rewrite.ts';
import './auth.ts';
import './request-body.ts';
import './encode.ts';
import './vars.ts';
import './log.ts';
import './file-server.ts';
import './misc.ts';
import './tls.ts';
import './forward-auth.ts';
