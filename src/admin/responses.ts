// Admin API responses in Caddy's shapes: JSON bodies, errors as {"error": "…"}.

export function jsonResponse(value: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(value), { status, headers: { 'Content-Type': 'application/json', ...headers } });
}

export function errorResponse(status: number, message: string): Response {
  return jsonResponse({ error: message }, status);
}
