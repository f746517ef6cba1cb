/**
 * Quiver Papers' subscribe form: an email address and free-text interests, posted to the digest's
 * subscribe route (client.papers.subscribe). Subscribing again with the same address updates the
 * interests. docs/papers.md, "Daily digest".
 */
import type { QuiverClient } from 'quiverdb/client';
import { useState } from 'preact/hooks';
import { describeError } from '../format.js';
import { PapersTabs } from './common.js';

export function PapersSubscribe({ client }: { client: QuiverClient }) {
  const [email, setEmail] = useState('');
  const [interests, setInterests] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<{ email: string; created: boolean } | null>(null);

  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    setDone(null);
    setBusy(true);
    try {
      const { subscription, created } = await client.papers.subscribe({ email, interests });
      setDone({ email: subscription.email, created });
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section>
      <h1>Daily digest</h1>
      <PapersTabs current="subscribe" />
      <p class="muted">Once a day, the papers added since your last digest that best match your interests, by email. Every email has an unsubscribe link.</p>
      <form class="card" onSubmit={submit} data-testid="subscribe-form">
        <label>
          Email
          <input type="email" required autoComplete="email" value={email} onInput={(e) => setEmail(e.currentTarget.value)} placeholder="ada@example.org" data-testid="subscribe-email" />
        </label>
        <label>
          Interests, in your own words
          <textarea class="prose" required rows={3} maxLength={2000} value={interests} onInput={(e) => setInterests(e.currentTarget.value)} placeholder="graph neural networks for molecules; efficient attention" data-testid="subscribe-interests" />
        </label>
        <div class="inline-form">
          <button type="submit" disabled={busy || email.trim() === '' || interests.trim() === ''} data-testid="subscribe-submit">
            {busy ? 'Subscribing…' : 'Subscribe'}
          </button>
        </div>
      </form>
      {error && (
        <p class="error" role="alert" data-testid="subscribe-error">
          {error}
        </p>
      )}
      {done && (
        <p role="status" data-testid="subscribe-done">
          {done.created ? `Subscribed: ${done.email} gets the next digest with new papers matching these interests.` : `Updated: ${done.email}'s digest now follows these interests.`}
        </p>
      )}
    </section>
  );
}
