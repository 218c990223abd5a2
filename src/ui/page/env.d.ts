/** esbuild gathers imported CSS into page.css. */
declare module '*.css';
