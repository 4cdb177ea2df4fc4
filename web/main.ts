// The web app's entry: registering <dl-app> pulls in every other element.
import './dl-app.ts';
