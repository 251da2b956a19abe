import { config } from 'zod';

// zod compiles fast parsers with `new Function` when it can; the CSP forbids eval, so zod's probe for it would be
// refused (and reported). jitless: parse without compiling. Imported first by main.tsx.
config({ jitless: true });
