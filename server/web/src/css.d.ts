// esbuild bundles imported stylesheets into assets/app.css; the import itself yields nothing.
declare module '*.css';
