// First: zod's settings apply before any schema is used.
import './zod-config.ts';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
// sonner's styles as a file: the CSP allows no inline <style> (vite.renderer.config.ts stops sonner injecting one).
import 'sonner/dist/styles.css';
import { App } from './app/App.tsx';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
