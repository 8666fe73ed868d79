import './base.css';
import './search.css';
import './schema.css';
