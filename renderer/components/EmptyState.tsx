import type { ReactNode } from 'react';

export function EmptyState(props: { title: string; children: ReactNode; action?: ReactNode }) {
  return (
    <section className="empty-state" aria-label={props.title}>
      <h2>{props.title}</h2>
      <div className="empty-state-body">{props.children}</div>
      {props.action ? <div className="empty-state-action">{props.action}</div> : null}
    </section>
  );
}
