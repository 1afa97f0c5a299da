/**
 * The two pages a browser sees while signing in to the codec (./codec-server.ts). Plain HTML with no script or
 * style: the ingress's `default-src 'none'` policy applies to them as to every other response.
 */

const html = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The form that takes the API token (in a POST body) and sends the browser on to `next`. */
export function signInPage(next: string | undefined, problem?: string): string {
  return `<!doctype html><meta charset="utf-8"><title>Sign in: callflow Temporal UI</title>
<h1>Sign in to see calls in the Temporal UI</h1>
<p>Call data in Temporal is encrypted. Sign in with the API token (in <code>.data/api-token</code> for
<code>npm start</code>, or <code>$CALLFLOW_API_TOKEN</code>) and this browser may decrypt it for 12 hours.</p>
${problem ? `<p role="alert"><b>${html(problem)}</b></p>` : ''}
<form method="post" action="sign-in">
<label>API token <input type="password" name="token" autocomplete="current-password" required autofocus></label>
${next ? `<input type="hidden" name="next" value="${html(next)}">` : ''}
<button type="submit">Sign in</button>
</form>`;
}

/**
 * What a browser sees once signed in when no UI is served on this origin: how to point a Temporal UI elsewhere
 * at this codec (the UI must send the session cookie cross-origin).
 */
export function loginPage(endpoint: string, origins: string[]): string {
  const ui = origins[0];
  return `<!doctype html><meta charset="utf-8"><title>callflow codec</title>
<h1>Signed in to the callflow codec</h1>
<p>This browser may now decrypt call payloads for ${origins.length ? html(origins.join(', ')) : 'no UI origin yet (set CALLFLOW_CODEC_ORIGINS)'} for 12 hours.</p>
<p>A Temporal UI started with <code>TEMPORAL_CODEC_ENDPOINT=${html(endpoint)}</code> and
<code>TEMPORAL_CODEC_INCLUDE_CREDENTIALS=true</code> decodes with no further step. Otherwise, in the UI's
<b>Codec Server</b> settings choose <b>Use my browser setting</b>, enter <code>${html(endpoint)}</code> as the
endpoint, tick <b>Include cross-origin credentials</b> and apply.</p>
${ui ? `<p><a href="${html(ui)}">Open the Temporal UI</a></p>` : ''}`;
}
