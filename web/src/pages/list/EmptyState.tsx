import { useState } from 'react';
import { href } from '../../router.ts';

const CLI = 'npx hangar create --provider local --wait';

/** The first-run empty list: what an instance is, a link to create one, and the CLI equivalent to copy. */
export function EmptyState() {
  const [copied, setCopied] = useState(false);
  return (
    <div className="empty" data-testid="empty-state">
      <svg className="empty-art" viewBox="0 0 64 48" width="96" height="72" aria-hidden="true">
        <path d="M4 44 32 6l28 38z" fill="none" stroke="currentColor" strokeWidth="3" strokeLinejoin="round" />
        <rect x="24" y="30" width="16" height="14" rx="2" fill="currentColor" opacity=".25" />
      </svg>
      <h2>No instances yet</h2>
      <p>
        An instance is a server with a Hangar agent on it. Start with the <strong>local</strong> provider: it runs the agent as a process on this machine, so
        you need no cloud account. The instance is <em>running</em> once its agent has dialed home.
      </p>
      <a className="btn btn-primary" href={href.create()} data-testid="empty-create">
        Create your first instance
      </a>
      <p className="muted">or, from a terminal (with HANGAR_URL and HANGAR_API_KEY set):</p>
      <div className="cli">
        <code data-testid="empty-cli">{CLI}</code>
        <button
          type="button"
          className="btn btn-ghost btn-small"
          onClick={() => {
            void navigator.clipboard?.writeText(CLI).then(
              () => setCopied(true),
              () => {},
            );
          }}
          aria-label="Copy command"
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
    </div>
  );
}
