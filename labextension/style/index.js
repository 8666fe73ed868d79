import './base.css';
import './search.css';
