import { Fragment } from 'react';
import { useDialogs } from '../lib/dialogs.ts';

/** Renders the dialogs opened through openDialog() (error handlers, store actions), newest on top. */
export function DialogHost() {
  const stack = useDialogs((s) => s.stack);
  const close = useDialogs((s) => s.close);
  return (
    <>
      {stack.map((dialog) => (
        <Fragment key={dialog.id}>{dialog.render(() => close(dialog.id))}</Fragment>
      ))}
    </>
  );
}
