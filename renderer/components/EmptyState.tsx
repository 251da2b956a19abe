import type { ReactNode } from 'react';

/** What a view shows when it has nothing yet: what it is for, and the first step. */
export function EmptyState(props: { title: string; children: ReactNode; action?: ReactNode; icon?: ReactNode }) {
  return (
    <section className="empty-state" aria-label={props.title}>
      {props.icon ? <div className="empty-state-icon">{props.icon}</div> : null}
      <h2>{props.title}</h2>
      <div className="empty-state-body">{props.children}</div>
      {props.action ? <div className="empty-state-action">{props.action}</div> : null}
    </section>
  );
}
