import { type ReactNode, useEffect, useRef } from 'react';

/**
 * The page's <h1> (focused when the page opens, so screen readers announce the new page after a
 * client-side navigation), its description and its main actions; also sets the document title.
 */
export function PageHeader({
  title,
  description,
  actions,
  documentTitle,
}: {
  title: ReactNode;
  description?: ReactNode;
  actions?: ReactNode;
  documentTitle?: string;
}) {
  const heading = useRef<HTMLHeadingElement>(null);
  const pageTitle = documentTitle ?? (typeof title === 'string' ? title : undefined);
  useEffect(() => {
    if (pageTitle) document.title = `${pageTitle} · engops`;
  }, [pageTitle]);
  useEffect(() => {
    heading.current?.focus({ preventScroll: true });
  }, []);
  return (
    <div className="page-header">
      <div>
        <h1 ref={heading} tabIndex={-1}>
          {title}
        </h1>
        {description ? <p className="page-description">{description}</p> : null}
      </div>
      {actions ? <div className="page-actions">{actions}</div> : null}
    </div>
  );
}

/** A polite live region for short confirmations ("Team created"). */
export function StatusMessage({ children }: { children: ReactNode }) {
  return (
    <p className="status-message" role="status">
      {children}
    </p>
  );
}
