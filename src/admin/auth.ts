/**
 * Bearer-token check for the admin route. Both sides are hashed first so the comparison is over equal-length
 * values and `timingSafeEqual` leaks neither the token's content nor its length.
 */
export async function hasAdminToken(request: Request, token: string): Promise<boolean> {
  const header = request.headers.get('Authorization') ?? '';
  const match = /^Bearer\s+(.+)$/i.exec(header);
  const given = match ? match[1].trim() : '';
  const [a, b] = await Promise.all([digest(given), digest(token)]);
  return crypto.subtle.timingSafeEqual(a, b) && given !== '';
}

async function digest(text: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
}
