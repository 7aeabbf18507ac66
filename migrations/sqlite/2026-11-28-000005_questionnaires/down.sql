DROP TABLE safety_alerts;
DROP TABLE safety_contacts;
DROP TABLE survey_links;
DROP TABLE scores;
DROP TABLE responses;
DROP TABLE assessments;
