import type { SelectionPolicy } from '../types.ts';

// The shape every load-balancing policy file exports. The adapter (lb_policy in a Caddyfile) and the runtime
// compiler (selection_policy in JSON) both look policies up in the one registry (index.ts), so a policy's
// Caddyfile syntax, JSON fields and selection live together.

/** `selection_policy` JSON: Caddy's `{ "policy": name, …fields }`. Each policy narrows it with its own fields. */
export interface SelectionPolicyJSON {
  policy: string;
}

/** The field of policies that delegate a request they cannot place (query, header, cookie). */
export interface FallbackJSON {
  fallback?: SelectionPolicyJSON;
}

/** What a policy's parseCaddyfile is given: the arguments after `lb_policy <name>` and Caddyfile-located errors. */
export interface PolicyArgs {
  readonly args: readonly string[];
  /** "wrong argument count", at the lb_policy line. */
  argErr(): Error;
  err(message: string): Error;
  /** A base-10 integer argument, or an error naming `what`. */
  int(text: string, what: string): number;
}

/** Properties of a compiled policy that the proxy needs beside the selection itself. */
export interface PolicyTraits {
  /** The choice reads in-flight counts, so a request must count as in flight until its body has streamed. */
  readonly countsLoad: boolean;
}

export interface CompiledPolicy {
  readonly select: SelectionPolicy;
  readonly traits: PolicyTraits;
}

export interface PolicyCompileContext {
  /** The JSON path of this policy object, for errors. */
  readonly path: string;
  /** Compiles this policy's `fallback` (absent means random). */
  fallback(): CompiledPolicy;
}

export interface PolicyModule<J extends SelectionPolicyJSON = SelectionPolicyJSON> {
  readonly name: J['policy'];
  /** The JSON fields besides `policy` that the policy accepts; any other is refused by name. */
  readonly fields: readonly Exclude<keyof J & string, 'policy'>[];
  /** `lb_policy <name> <args…>` → the policy's JSON fields (a `fallback` block is parsed by the caller). */
  parseCaddyfile(a: PolicyArgs): Omit<J, 'policy'>;
  compile(json: J, ctx: PolicyCompileContext): CompiledPolicy;
}

/** Traits of a policy that neither counts load nor delegates. */
export const PLAIN: PolicyTraits = { countsLoad: false };
export const COUNTS_LOAD: PolicyTraits = { countsLoad: true };

/** For policies that take no arguments. */
export function noArgs(a: PolicyArgs): Record<string, never> {
  if (a.args.length) throw a.argErr();
  return {};
}

/** A policy that takes no arguments and no fields and always selects with `select`. */
export function fixedPolicy(name: string, select: SelectionPolicy, traits: PolicyTraits = PLAIN): PolicyModule {
  const compiled: CompiledPolicy = { select, traits };
  return { name, fields: [], parseCaddyfile: noArgs, compile: () => compiled };
}
