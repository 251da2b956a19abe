import type { AppError } from '../../shared/result.ts';

export function ErrorBanner({ error }: { error: AppError | null }) {
  if (!error) return null;
  return (
    <div className="banner banner-error" role="alert">
      <strong>{error.message}</strong>
      {error.hint ? <span className="banner-hint">{error.hint}</span> : null}
    </div>
  );
}
